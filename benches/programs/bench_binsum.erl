%% Summing the bytes of a binary with bit syntax: a byte at a time, and
%% 16-bit big-endian words.
-module(bench_binsum).
-export([run/0]).

bytes(<<B, Rest/binary>>, Acc) -> bytes(Rest, Acc + B);
bytes(<<>>, Acc) -> Acc.

words(<<W:16, Rest/binary>>, Acc) -> words(Rest, Acc + W);
words(<<_>>, Acc) -> Acc;
words(<<>>, Acc) -> Acc.

run() ->
    Bin = list_to_binary([I rem 251 || I <- lists:seq(1, 500000)]),
    lists:foldl(fun(_, Acc) -> Acc + bytes(Bin, 0) + words(Bin, 0) end, 0, [1, 2, 3, 4]).
