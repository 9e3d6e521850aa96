-module(hello).
-export([main/0]).
main() -> io:format("Hello, world! ~p us, ~p modules, ~p processes~n", [erlang:monotonic_time(microsecond) - persistent_term:get(t0, 0), length(erlang:loaded()), length(processes())]).
