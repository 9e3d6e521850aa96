%% ETS match specifications: four ets:select/2 scans over 200,000
%% objects of a set: a guard on an integer field, the whole object, a
%% guard with arithmetic over a nested list pattern, and a constant key.
-module(bench_ets_select).
-export([run/0]).
run() ->
    T = ets:new(bench, [set, public]),
    fill(T, list_to_tuple([list_to_atom([$k | integer_to_list(K)]) || K <- lists:seq(0, 999)]), 0, 200000),
    Counts = [length(ets:select(T, Ms)) || Ms <- specs()],
    ets:delete(T),
    Counts.
specs() ->
    [[{{'_', '$1', '_'}, [{'>', '$1', 100000}], ['$1']}],
     [{'_', [], ['$_']}],
     [{{'_', '$1', ['$2' | '_']},
       [{'andalso', {is_integer, '$1'}, {'=:=', {'rem', '$1', 7}, 0}}],
       [{{'$2', '$1'}}]}],
     [{{{k1, '_'}, '_', '_'}, [], [true]}]].
fill(_, _, N, N) -> ok;
fill(T, Keys, I, N) ->
    ets:insert(T, {{element(I rem 1000 + 1, Keys), I}, I, [a, b]}),
    fill(T, Keys, I + 1, N).
