%% An embarrassingly parallel workload: 8 processes each compute on their
%% own and send one number back. Timed on 1 and on 2 schedulers (both VMs).
-module(bench_parallel).
-export([run/0]).
run() ->
    Self = self(),
    Pids = [spawn(fun() -> Self ! {self(), fib(27 + (I rem 2))} end) || I <- lists:seq(1, 8)],
    lists:sum([receive {P, V} -> V end || P <- Pids]).
fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).
