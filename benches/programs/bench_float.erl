%% A float loop: a million steps of a recurrence.
-module(bench_float).
-export([run/0]).
loop(0, X) -> X;
loop(N, X) -> loop(N - 1, X * 0.999999 + 0.5 / (1.0 + X)).
run() -> loop(1000000, 1.0).
