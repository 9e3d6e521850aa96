%% Calls to other modules' code: a loop that calls itself through its
%% module (`?MODULE:loop/2`, how a server's loop stays upgradable), and
%% calls into stdlib's Erlang code that return at once (`lists:nth/2` on
%% a short list, `proplists:get_value/2`, `queue:in/2`, `queue:out/1`):
%% every call leaves the caller's module, and every return comes back.
-module(bench_remote).
-export([run/0, loop/3]).

run() ->
    L = [a, b, c],
    P = [{k1, 1}, {k2, 2}],
    ?MODULE:loop(1000000, {L, P, queue:new()}, 0).

loop(0, _, Acc) ->
    Acc;
loop(N, {L, P, Q0} = S, Acc) ->
    a = lists:nth(1, L),
    V = proplists:get_value(k2, P),
    {{value, X}, _} = queue:out(queue:in(N, Q0)),
    ?MODULE:loop(N - 1, S, Acc + V + X rem 7).
