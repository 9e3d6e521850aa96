%% Matrices as tuples of row tuples, multiplied with element/2 in the
%% inner loop (a row's element times the column's element of each row).
-module(bench_tuple_matrix).
-export([run/0]).
-define(N, 60).
matrix(Seed) ->
    list_to_tuple([list_to_tuple([(R * 7 + C * 3 + Seed) rem 11 || C <- lists:seq(1, ?N)])
                   || R <- lists:seq(1, ?N)]).
dot(0, _, _, _, Acc) -> Acc;
dot(K, Row, Col, B, Acc) -> dot(K - 1, Row, Col, B, Acc + element(K, Row) * element(Col, element(K, B))).
row(0, _, _, Acc) -> list_to_tuple(Acc);
row(C, Row, B, Acc) -> row(C - 1, Row, B, [dot(?N, Row, C, B, 0) | Acc]).
mult(0, _, _, Acc) -> list_to_tuple(Acc);
mult(R, A, B, Acc) -> mult(R - 1, A, B, [row(?N, element(R, A), B, []) | Acc]).
%% Products of products stay small integers for three rounds.
rounds(0, _, _, Acc) -> Acc;
rounds(K, A, B, Acc) ->
    M = mult(?N, mult(?N, mult(?N, A, B, []), B, []), B, []),
    rounds(K - 1, A, B, Acc + element(1, element(1, M)) + element(?N, element(?N, M))).
run() -> rounds(3, matrix(1), matrix(5), 0).
