%% Long-lived data beside short-lived allocation, the shape a generational
%% collector is for: a tree of 2^17 nodes and a 20,000-key map stay alive
%% while 1,500 small trees are built, summed and dropped, and the map gets
%% a new value per round (its new nodes point at its old ones).
-module(bench_gc).
-export([run/0]).

run() ->
    Big = build(17),
    State = maps:from_list([{K, K} || K <- lists:seq(1, 20000)]),
    {Acc, State2} = rounds(1500, 0, State),
    Acc + total(Big) + maps:get(777, State2).

rounds(0, Acc, State) ->
    {Acc, State};
rounds(N, Acc, State) ->
    Small = build(7 + N rem 5),
    rounds(N - 1, Acc + total(Small), State#{N rem 20000 + 1 => N}).

build(0) -> leaf;
build(D) -> {build(D - 1), D, build(D - 1)}.

total(leaf) -> 0;
total({L, D, R}) -> D + total(L) + total(R).
