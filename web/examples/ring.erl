%% Processes in a ring: a counter goes round N processes M times, each
%% process adding one.
-module(ring).
-export([main/0]).

main() ->
    N = 100,
    M = 50,
    First = lists:foldl(fun(_, Next) -> spawn(fun() -> pass(Next) end) end, self(), lists:seq(1, N - 1)),
    First ! {token, 0},
    Hops = rounds(First, M),
    io:format("~b processes, ~b rounds: ~b hops~n", [N, M, Hops]).

rounds(_First, 1) ->
    receive {token, K} -> K end;
rounds(First, M) ->
    receive {token, K} -> First ! {token, K}, rounds(First, M - 1) end.

pass(Next) ->
    receive {token, K} -> Next ! {token, K + 1}, pass(Next) end.
