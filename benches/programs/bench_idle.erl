%% Memory per idle process: 100,000 processes waiting in receive, measured
%% as erlang:memory(processes) before and after, in bytes per process.
-module(bench_idle).
-export([run/0]).
run() ->
    Before = erlang:memory(processes),
    Pids = [spawn(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, 100000)],
    erlang:yield(),
    timer:sleep(100),
    After = erlang:memory(processes),
    [P ! stop || P <- Pids],
    (After - Before) div 100000.
