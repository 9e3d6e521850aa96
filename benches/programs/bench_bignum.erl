%% Integers on both sides of the small-integer boundary: sums and
%% products that stay small but pass through large intermediates,
%% iterative Fibonacci into the thousands of digits, and a factorial.
-module(bench_bignum).
-export([run/0]).

%% Near 2^59 and 2^63: products of two smalls that fit, and some that
%% do not.
mix(0, Acc) -> Acc;
mix(N, Acc) ->
    A = (1 bsl 58) + N,
    B = A * 3 - A * 2,
    C = (N * 1000003) * (N * 999983) div (N * 7 + 1),
    mix(N - 1, (Acc + B - A + C) rem 1000000007).

fib(0, A, _) -> A;
fib(N, A, B) -> fib(N - 1, B, A + B).

fact(0, Acc) -> Acc;
fact(N, Acc) -> fact(N - 1, Acc * N).

run() ->
    M = mix(300000, 0),
    F = fib(20000, 0, 1),
    X = fact(3000, 1),
    {M, F rem 1000000007, X rem 1000000009}.
