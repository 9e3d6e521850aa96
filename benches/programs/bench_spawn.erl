%% Spawn and finish 1,000,000 processes, 1,000 at a time: each sends one
%% message back (batches keep the parent's mailbox short on both VMs).
-module(bench_spawn).
-export([run/0]).
run() -> batches(1000, 0).
batches(0, Acc) -> Acc;
batches(B, Acc) ->
    Self = self(),
    spawn_all(1000, Self),
    batches(B - 1, collect(1000, Acc)).
spawn_all(0, _) -> ok;
spawn_all(N, Self) -> spawn(fun() -> Self ! N end), spawn_all(N - 1, Self).
collect(0, Acc) -> Acc;
collect(N, Acc) -> receive I -> collect(N - 1, Acc + I) end.
