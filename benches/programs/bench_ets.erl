%% ETS: insert then look up 1,000,000 integer keys in a set.
-module(bench_ets).
-export([run/0]).
run() ->
    T = ets:new(bench, [set, public]),
    ok = insert(T, 1, 1000000),
    Sum = lookup(T, 1, 1000000, 0),
    ets:delete(T),
    Sum.
insert(_, I, N) when I > N -> ok;
insert(T, I, N) ->
    ets:insert(T, {I, I}),
    insert(T, I + 1, N).
lookup(_, I, N, Acc) when I > N -> Acc;
lookup(T, I, N, Acc) ->
    [{_, V}] = ets:lookup(T, I),
    lookup(T, I + 1, N, Acc + V).
