%% The group leader of LAM processes: answers the Erlang I/O protocol and
%% writes output to standard output through the native lam:put_chars/3.
%% Like erl's `user` under -noshell (OTP 25), it starts as a latin1 device
%% whatever the locale; io:setopts/1 changes its encoding and read mode,
%% which io:getopts/0 reports. Its options live in the process dictionary
%% (`encoding`, `binary`), so request/1 stays a function of the request.
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
        {io_request, From, ReplyAs, Request} = Msg ->
            case reads(Request) of
                true ->
                    User = start_user(),
                    User ! Msg,
                    relay(User);
                false ->
                    From ! {io_reply, ReplyAs, request(Request)},
                    loop()
            end;
        {lam_error_report, Pid, Reason} ->
            _ = put_chars(unicode, error_report(Pid, Reason)),
            loop();
        {lam_log, Format, Args} ->
            _ = put_chars(unicode, log_report(Format, Args)),
            loop();
        {lam_exit_value, Pid, Reason} ->
            _ = (catch lam:exit_report(
                         io_lib:format("Error in process ~p with exit value:~n~p~n",
                                       [Pid, Reason]))),
            loop();
        _ ->
            loop()
    end.

%% Standard input is read by OTP's own `user` (user.erl, as erl -noshell
%% runs it: an fd port on descriptors 0 and 1), started on the first
%% request that reads: a program that never reads leaves standard input
%% alone. From then on every request goes to it, so output stays in order,
%% and it takes the name `user`; this process keeps the reports.
reads({get_line, _}) -> true;
reads({get_line, _, _}) -> true;
reads({get_chars, _, _}) -> true;
reads({get_chars, _, _, _}) -> true;
reads({get_until, _, _, _}) -> true;
reads({get_until, _, _, _, _, _}) -> true;
reads({get_password, _}) -> true;
reads(get_password) -> true;
reads({requests, Rs}) when is_list(Rs) -> lists:any(fun reads/1, Rs);
reads(_) -> false.

start_user() ->
    Opts = [{binary, option(binary)}, {encoding, option(encoding)}],
    catch unregister(user),
    User = user:start(),
    %% If `user` dies (as erl's can), requests must fail as they do on erl,
    %% where it is the group leader itself: this process goes with it.
    link(User),
    Ref = make_ref(),
    User ! {io_request, self(), Ref, {setopts, Opts}},
    receive {io_reply, Ref, _} -> ok end,
    User.

relay(User) ->
    receive
        {io_request, _, _, _} = Msg ->
            User ! Msg;
        {lam_error_report, Pid, Reason} ->
            User ! {io_request, self(), report,
                    {put_chars, unicode, error_report(Pid, Reason)}};
        {lam_log, Format, Args} ->
            User ! {io_request, self(), report,
                    {put_chars, unicode, log_report(Format, Args)}};
        {lam_exit_value, Pid, Reason} ->
            _ = (catch lam:exit_report(
                         io_lib:format("Error in process ~p with exit value:~n~p~n",
                                       [Pid, Reason])));
        _ ->
            ok
    end,
    relay(User).

request({put_chars, Encoding, Chars}) when Encoding =:= unicode; Encoding =:= latin1 ->
    put_chars(Encoding, Chars);
request({put_chars, Encoding, Module, Function, Args})
  when Encoding =:= unicode; Encoding =:= latin1 ->
    case catch apply(Module, Function, Args) of
        Chars when is_list(Chars); is_binary(Chars) -> put_chars(Encoding, Chars);
        _ -> {error, put_chars}
    end;
request({put_chars, Chars}) ->
    put_chars(latin1, Chars);
request({put_chars, Module, Function, Args}) ->
    request({put_chars, latin1, Module, Function, Args});
request({requests, Requests}) ->
    requests(Requests, ok);
request(getopts) ->
    [{binary, option(binary)}, {encoding, option(encoding)}];
request({setopts, Opts}) when is_list(Opts) ->
    setopts(Opts);
request({get_geometry, _}) ->
    {error, enotsup};
request(Other) ->
    {error, {request, Other}}.

option(binary) ->
    get(binary) =:= true;
option(encoding) ->
    case get(encoding) of
        undefined -> latin1;
        Encoding -> Encoding
    end.

%% Options as erl's user takes them: `binary`, `list`, `latin1` and
%% `unicode` stand for their pairs; the first setting of each counts; any
%% other option makes the whole request fail.
setopts(Opts) ->
    case catch [normal_opt(O) || O <- Opts] of
        Pairs when is_list(Pairs) ->
            case lists:keyfind(encoding, 1, Pairs) of
                {encoding, latin1} -> put(encoding, latin1);
                {encoding, _} -> put(encoding, unicode);
                false -> ok
            end,
            case lists:keyfind(binary, 1, Pairs) of
                {binary, B} when is_boolean(B) -> put(binary, B);
                _ -> ok
            end,
            ok;
        _ ->
            {error, enotsup}
    end.

normal_opt(binary) -> {binary, true};
normal_opt(list) -> {binary, false};
normal_opt(latin1) -> {encoding, latin1};
normal_opt(unicode) -> {encoding, unicode};
normal_opt({binary, _} = O) -> O;
normal_opt({encoding, E} = O) when E =:= latin1; E =:= unicode; E =:= utf8 -> O;
normal_opt(_) -> throw(enotsup).

error_report(Pid, Reason) ->
    log_report("Error in process ~p with exit value:~n~p~n", [Pid, Reason]).

%% An error report of the emulator's, as erl's default handler prints it
%% before OTP's logger runs.
log_report(Format, Args) ->
    Us = os:system_time(microsecond),
    {{Y, Mo, D}, {H, Mi, S}} = calendar:system_time_to_local_time(Us div 1000000, second),
    Months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
    [io_lib:format("=ERROR REPORT==== ~w-~s-~w::~2..0w:~2..0w:~2..0w.~6..0w ===~n",
                   [D, element(Mo, Months), Y, H, Mi, S, Us rem 1000000]),
     io_lib:format(Format, Args), "\n"].

requests([], Last) -> Last;
requests([R | Rs], _) ->
    case request(R) of
        {error, _} = E -> E;
        Other -> requests(Rs, Other)
    end.

put_chars(Encoding, Chars) ->
    try lam:put_chars(Encoding, Chars, option(encoding)) of
        ok -> ok
    catch
        _:_ -> {error, put_chars}
    end.
