%% Packing bytes into words and taking them apart again with shifts and
%% masks on small integers (checksums, codecs, hashes written in Erlang).
-module(bench_bitpack).
-export([run/0]).

pack([Hi, Lo | T], Acc) -> pack(T, [(Hi bsl 8) bor Lo | Acc]);
pack([B], Acc) -> [B bsl 8 | Acc];
pack([], Acc) -> Acc.

unpack([W | T], Sum) -> unpack(T, Sum + (W bsr 8) + (W band 16#ff) bxor 16#5a);
unpack([], Sum) -> Sum.

round(0, _Bytes, Acc) -> Acc;
round(N, Bytes, Acc) -> round(N - 1, Bytes, Acc + unpack(pack(Bytes, []), 0)).

run() ->
    Bytes = [I rem 256 || I <- lists:seq(1, 1001)],
    round(20000, Bytes, 0).
