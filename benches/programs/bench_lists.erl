%% Sort, map and fold over a million-element list.
-module(bench_lists).
-export([run/0]).
run() ->
    L = [(I * 7919) rem 1000003 || I <- lists:seq(1, 1000000)],
    S = lists:sort(L),
    M = lists:map(fun(X) -> X + 1 end, S),
    lists:foldl(fun(X, A) -> (A + X) rem 1000000007 end, 0, M).
