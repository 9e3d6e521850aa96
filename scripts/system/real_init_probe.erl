-module(real_init_probe).
-export([main/0]).
main() ->
    persistent_term:put(t0, erlang:monotonic_time(microsecond)),
    unregister(user),
    init:boot([<<"-root">>, <<"/usr/lib/erlang">>, <<"-bindir">>, <<"/usr/lib/erlang/erts-13.1.5/bin">>, <<"-progname">>, <<"erl">>, <<"--">>,
               <<"-home">>, list_to_binary(os:getenv("HOME")), <<"--">>, <<"-noshell">>, <<"-mode">>, <<"minimal">>,
               <<"-s">>, <<"hello">>, <<"main">>, <<"-s">>, <<"init">>, <<"stop">>]).
