%% Big integers, floats and binaries.
-module(bignum).
-export([main/0]).

main() ->
    F = lists:foldl(fun(X, A) -> X * A end, 1, lists:seq(1, 40)),
    io:format("40! = ~b~n", [F]),
    io:format("2^200 = ~b~n", [1 bsl 200]),
    io:format("pi ~~ ~.10f~n", [math:pi()]),
    B = term_to_binary({F, "text", 3.5}),
    io:format("~b bytes, back: ~p~n", [byte_size(B), binary_to_term(B)]),
    io:format("~s~n", [base64:encode(<<"LAM">>)]).
