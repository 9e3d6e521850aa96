%% A countdown whose guard puts the constant first (`when N > 0`, which
%% the compiler emits as `0 < N`), summing as it goes, over a few hundred
%% thousand steps per call: the shape of a busy-work loop in a worker.
-module(bench_countdown).
-export([run/0]).
sum(N, Acc) when N > 0 -> sum(N - 1, Acc + N);
sum(_, Acc) -> Acc.
rounds(0, Acc) -> Acc;
rounds(K, Acc) -> rounds(K - 1, Acc + sum(200000 + K, 0)).
run() -> rounds(10, 0).
