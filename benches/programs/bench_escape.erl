%% Escape-time iteration over a grid of complex points: float
%% arithmetic in float registers, compared against a float bound
%% (`X > 4.0`: a literal float) and an iteration count at every step.
-module(bench_escape).
-export([run/0]).
-define(SIZE, 120).
iter(0, _, _, _, _) -> 0;
iter(K, X, Y, CX, CY) ->
    X2 = X * X,
    Y2 = Y * Y,
    if
        X2 + Y2 > 4.0 -> K;
        true -> iter(K - 1, X2 - Y2 + CX, 2.0 * X * Y + CY, CX, CY)
    end.
run() ->
    lists:sum([iter(60, 0.0, 0.0, -2.0 + 3.0 * I / ?SIZE, -1.5 + 3.0 * J / ?SIZE)
               || I <- lists:seq(0, ?SIZE - 1), J <- lists:seq(0, ?SIZE - 1)]).
