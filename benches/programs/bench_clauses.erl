%% Constant-clause recursion, the way most Erlang is written: fib with
%% literal clauses (select on small integers), and a classifier that
%% dispatches on type tests, atoms and tuple arities.
-module(bench_clauses).
-export([run/0]).

fib(0) -> 0;
fib(1) -> 1;
fib(N) -> fib(N - 1) + fib(N - 2).

kind(X) when is_integer(X) -> int;
kind(X) when is_atom(X) -> atom;
kind({_, _}) -> pair;
kind({_, _, _}) -> triple;
kind([_ | _]) -> list;
kind(_) -> other.

weight(int) -> 1;
weight(atom) -> 2;
weight(pair) -> 3;
weight(triple) -> 5;
weight(list) -> 7;
weight(other) -> 11.

classify(0, _, Acc) -> Acc;
classify(N, [X | Xs], Acc) -> classify(N - 1, Xs ++ [X], Acc + weight(kind(X))).

run() ->
    Mix = [1, a, {b, 2}, {c, 3, 4}, [d], 5.0, ok, 42],
    {fib(30), classify(500000, Mix, 0)}.
