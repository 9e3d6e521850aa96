%% The group leader of LAM processes: answers the Erlang I/O protocol and
%% writes output to standard output through the native lam:put_chars/2.
%% It also prints the error report of a process that died of an uncaught
%% exception ({lam_error_report, Pid, Reason} from the scheduler), in the
%% form erl's default logger handler gives the emulator's report, and
%% formats the exit value of the run's first process when it crashes
%% ({lam_exit_value, Pid, Reason}) for `lam-translate run` to print.
%% Compiled with erlc; src/vm/erl/lam_gl.beam is embedded in the VM.
-module(lam_gl).
-export([loop/0]).

loop() ->
    receive
        {io_request, From, ReplyAs, Request} ->
            From ! {io_reply, ReplyAs, request(Request)},
            loop();
        {lam_error_report, Pid, Reason} ->
            _ = put_chars(unicode, error_report(Pid, Reason)),
            loop();
        {lam_exit_value, Pid, Reason} ->
            _ = (catch lam:exit_report(
                         io_lib:format("Error in process ~p with exit value:~n~p~n",
                                       [Pid, Reason]))),
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

error_report(Pid, Reason) ->
    Us = os:system_time(microsecond),
    {{Y, Mo, D}, {H, Mi, S}} = calendar:system_time_to_local_time(Us div 1000000, second),
    Months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
    [io_lib:format("=ERROR REPORT==== ~w-~s-~w::~2..0w:~2..0w:~2..0w.~6..0w ===~n",
                   [D, element(Mo, Months), Y, H, Mi, S, Us rem 1000000]),
     io_lib:format("Error in process ~p with exit value:~n~p~n~n", [Pid, Reason])].

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
