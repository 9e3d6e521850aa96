%% Naive Fibonacci: calls and small-integer arithmetic.
-module(bench_fib).
-export([run/0]).
fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).
run() -> fib(30).
