%% Float-heavy records: 3-D points as records, moved and measured in a
%% loop (record matching, element access, float arithmetic).
-module(bench_records).
-export([run/0]).

-record(v, {x = 0.0, y = 0.0, z = 0.0}).
-record(body, {pos = #v{}, vel = #v{}, mass = 1.0}).

add(#v{x = X1, y = Y1, z = Z1}, #v{x = X2, y = Y2, z = Z2}) ->
    #v{x = X1 + X2, y = Y1 + Y2, z = Z1 + Z2}.

scale(#v{x = X, y = Y, z = Z}, K) -> #v{x = X * K, y = Y * K, z = Z * K}.

dot(#v{x = X1, y = Y1, z = Z1}, #v{x = X2, y = Y2, z = Z2}) ->
    X1 * X2 + Y1 * Y2 + Z1 * Z2.

step(#body{pos = P, vel = V, mass = M} = B, Dt) ->
    Pull = scale(P, -0.01 / (1.0 + dot(P, P))),
    V2 = add(V, scale(Pull, Dt / M)),
    B#body{pos = add(P, scale(V2, Dt)), vel = V2}.

steps(0, Bs) -> Bs;
steps(N, Bs) -> steps(N - 1, [step(B, 0.01) || B <- Bs]).

energy(Bs) ->
    lists:foldl(fun(#body{vel = V, mass = M}, E) -> E + 0.5 * M * dot(V, V) end, 0.0, Bs).

run() ->
    Bs = [#body{pos = #v{x = float(I), y = float(I rem 7), z = 1.0 / I},
                vel = #v{y = 0.1 * I}, mass = 1.0 + I / 10}
          || I <- lists:seq(1, 50)],
    round(energy(steps(2000, Bs)) * 1000000).
