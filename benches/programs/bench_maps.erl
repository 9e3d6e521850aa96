%% Map insert and lookup over 100,000 keys.
-module(bench_maps).
-export([run/0]).
run() ->
    M = lists:foldl(fun(I, Acc) -> Acc#{I => I * 2} end, #{}, lists:seq(1, 100000)),
    lists:foldl(fun(I, Acc) -> Acc + maps:get(I, M) end, 0, lists:seq(1, 100000)).
