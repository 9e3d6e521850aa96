%% Build a binary of 200,000 16-bit values, then match it apart.
-module(bench_binary).
-export([run/0]).
build(0, Acc) -> Acc;
build(N, Acc) -> build(N - 1, <<Acc/binary, (N rem 65536):16>>).
sum(<<X:16, Rest/binary>>, A) -> sum(Rest, A + X);
sum(<<>>, A) -> A.
run() -> sum(build(200000, <<>>), 0).
