%% The group leader of LAM processes: answers the Erlang I/O protocol and
%% writes output to standard output through the native lam:put_chars/2.
%% Compiled with erlc; src/vm/erl/lam_gl.beam is embedded in the VM.
-module(lam_gl).
-export([loop/0]).

loop() ->
    receive
        {io_request, From, ReplyAs, Request} ->
            From ! {io_reply, ReplyAs, request(Request)},
            loop();
        _ ->
            loop()
    end.

request({put_chars, Encoding, Chars}) ->
    put_chars(Encoding, Chars);
request({put_chars, Encoding, Module, Function, Args}) ->
    try apply(Module, Function, Args) of
        Chars -> put_chars(Encoding, Chars)
    catch
        _:_ -> {error, {Module, Function}}
    end;
request({requests, Requests}) ->
    requests(Requests, ok);
request(getopts) ->
    [{binary, false}, {encoding, latin1}];
request({setopts, _}) ->
    ok;
request({get_geometry, _}) ->
    {error, enotsup};
request(_) ->
    {error, request}.

requests([], Last) -> Last;
requests([R | Rs], _) ->
    case request(R) of
        {error, _} = E -> E;
        Other -> requests(Rs, Other)
    end.

put_chars(Encoding, Chars) ->
    try lam:put_chars(Encoding, Chars) of
        ok -> ok
    catch
        _:_ -> {error, put_chars}
    end.
