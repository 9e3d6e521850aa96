%% The page's first example: output, a list comprehension, a map.
-module(hello).
-export([main/0]).

main() ->
    io:format("Hello from Erlang on LAM, in WebAssembly!~n"),
    Squares = [N * N || N <- lists:seq(1, 10)],
    io:format("squares: ~w~n", [Squares]),
    io:format("sum: ~b~n", [lists:sum(Squares)]),
    io:format("~p~n", [#{vm => lam, target => 'wasm32-wasip1'}]).
