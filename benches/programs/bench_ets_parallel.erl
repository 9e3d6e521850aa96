%% ETS read concurrency: 4 processes look up keys of one shared table
%% (10,000 objects, read_concurrency), 500,000 lookups each. Timed on 1 and
%% on 2 schedulers (both VMs): the readers should scale.
-module(bench_ets_parallel).
-export([run/0]).
run() ->
    T = ets:new(bench_par, [set, public, {read_concurrency, true}]),
    ets:insert(T, [{I, I} || I <- lists:seq(0, 9999)]),
    Self = self(),
    Pids = [spawn(fun() -> Self ! {self(), read(T, J, 500000, 0)} end) || J <- lists:seq(1, 4)],
    Sum = lists:sum([receive {P, V} -> V end || P <- Pids]),
    ets:delete(T),
    Sum.
read(_, _, 0, Acc) -> Acc;
read(T, J, N, Acc) ->
    [{_, V}] = ets:lookup(T, (N * J) rem 10000),
    read(T, J, N - 1, Acc + V).
