%% Hooks of OTP's own system on LAM (src/vm/runtime/boot.rs). The VM boots
%% OTP's init lazily, with `-s lam_system started`: init runs started/0
%% once kernel and stdlib have started, and the processes that waited for
%% the system go on. init:fetch_loaded/0 (the code server asks it once, as
%% it starts) runs here: init's answer names the modules init loaded;
%% the modules the VM loaded itself from its code path are added, so that
%% the code server knows every loaded module and its file. stop/0 ends a
%% run whose first process has ended. spawn_request/1..5 (erpc's and rpc's
%% way to run a call in a new process) run here as erl's BIF behaves on a
%% node without distribution. elixir/3 runs an Elixir program as the
%% `elixir` command runs one.
%% Compiled with erlc; src/vm/erl/lam_system.beam is embedded in the VM.
-module(lam_system).
-export([started/0, fetch_loaded/0, stop/0, elixir/3]).
-compile({no_auto_import, [spawn_request/1, spawn_request/2, spawn_request/3,
                            spawn_request/4, spawn_request/5]}).
-export([spawn_request/1, spawn_request/2, spawn_request/3, spawn_request/4,
         spawn_request/5]).

started() ->
    lam:system_started().

%% The run's first process has ended (the VM starts this): the reports sent
%% before (the emulator's report of a crash among them, which went to
%% logger_proxy) reach the default handler and are written, then the
%% system stops as `-s init stop` stops it.
stop() ->
    _ = (catch sys:get_state(logger_proxy, 1000)),
    _ = (catch logger_std_h:filesync(default)),
    init:stop().

%% An Elixir program's first process: what `elixir -e 'M.F()'` does
%% around the call (elixir:start_cli/0), so that the program finds what
%% Elixir code counts on: the elixir application started (standard I/O in
%% unicode, its configuration table, the code server for Code.eval_string),
%% Logger's application with its handler, and the end of Kernel.CLI.run/1
%% (at_exit callbacks, Logger flushed, System.halt/1, an exception printed
%% as Elixir prints it). The first of these boots OTP's system.
elixir(M, F, Args) ->
    {ok, _} = application:ensure_all_started(elixir),
    _ = case code:ensure_loaded('Elixir.Logger') of
            {module, _} -> application:start(logger);
            {error, _} -> ok
        end,
    'Elixir.System':argv([unicode:characters_to_binary(A)
                          || A <- init:get_plain_arguments()]),
    'Elixir.Kernel.CLI':run(fun(_) -> apply(M, F, Args) end).

fetch_loaded() ->
    init ! {self(), fetch_loaded},
    FromInit = receive {init, Loaded} -> Loaded end,
    Known = [M || {M, _} <- FromInit],
    Preloaded = erlang:pre_loaded(),
    FromInit ++ [{M, File} || {M, File} <- lam:loaded_files(),
                              not lists:member(M, Known),
                              not lists:member(M, Preloaded)].

spawn_request(F) when is_function(F, 0) ->
    spawn_request(node(), erlang, apply, [F, []], []);
spawn_request(F) ->
    badarg([F]).

spawn_request(F, Opts) when is_function(F, 0) ->
    spawn_request(node(), erlang, apply, [F, []], Opts);
spawn_request(Node, F) when is_atom(Node), is_function(F, 0) ->
    spawn_request(Node, erlang, apply, [F, []], []);
spawn_request(A, B) ->
    badarg([A, B]).

spawn_request(Node, F, Opts) when is_atom(Node), is_function(F, 0) ->
    spawn_request(Node, erlang, apply, [F, []], Opts);
spawn_request(M, F, A) ->
    spawn_request(node(), M, F, A, []).

spawn_request(M, F, A, Opts) when is_atom(M) ->
    spawn_request(node(), M, F, A, Opts);
spawn_request(Node, M, F, A) ->
    spawn_request(Node, M, F, A, []).

%% The request is answered at once: the process is spawned (with the
%% spawn_opt options among Opts), and `{Tag, ReqId, ok, Pid}` is sent
%% unless `{reply, no | error_only}` says not to. With `monitor`, the
%% request id is the monitor's reference, as erl has it, so the 'DOWN'
%% message carries it. Another node cannot be reached: it answers
%% `{Tag, ReqId, error, noconnection}` unless told not to.
spawn_request(Node, M, F, A, Opts)
  when is_atom(Node), is_atom(M), is_atom(F), is_list(A), is_list(Opts) ->
    {Reply, Tag, SpawnOpts} =
        try request_options(Opts, yes, spawn_reply, [])
        catch throw:badopt -> badarg([Node, M, F, A, Opts])
        end,
    case Node =:= node() of
        true ->
            {Pid, ReqId} =
                case lists:any(fun(O) -> O =:= monitor orelse
                                             (is_tuple(O) andalso element(1, O) =:= monitor)
                               end, SpawnOpts) of
                    true -> spawn_it(M, F, A, SpawnOpts);
                    false -> {spawn_it(M, F, A, SpawnOpts), make_ref()}
                end,
            _ = (Reply =:= yes orelse Reply =:= success_only) andalso
                (self() ! {Tag, ReqId, ok, Pid}),
            ReqId;
        false ->
            ReqId = make_ref(),
            _ = (Reply =:= yes orelse Reply =:= error_only) andalso
                (self() ! {Tag, ReqId, error, noconnection}),
            ReqId
    end;
spawn_request(Node, M, F, A, Opts) ->
    badarg([Node, M, F, A, Opts]).

%% badarg as erl raises it from its BIF: the BIF's frame, then the caller's.
badarg(Args) ->
    {current_stacktrace, St} = process_info(self(), current_stacktrace),
    Callers = [Frame || Frame <- St, element(1, Frame) =/= lam_system],
    erlang:raise(error, badarg,
                 [{erlang, spawn_request, Args,
                   [{error_info, #{module => erl_erts_errors}}]} | Callers]).

%% A fun's request runs the fun itself (spawn_opt/4 takes no BIF).
spawn_it(erlang, apply, [Fun, []], Opts) when is_function(Fun, 0) ->
    erlang:spawn_opt(Fun, Opts);
spawn_it(M, F, A, Opts) ->
    erlang:spawn_opt(M, F, A, Opts).

request_options([], Reply, Tag, Acc) ->
    {Reply, Tag, lists:reverse(Acc)};
request_options([{reply, R} | Os], _, Tag, Acc)
  when R =:= yes; R =:= no; R =:= error_only; R =:= success_only ->
    request_options(Os, R, Tag, Acc);
request_options([{reply_tag, T} | Os], Reply, _, Acc) ->
    request_options(Os, Reply, T, Acc);
request_options([O | Os], Reply, Tag, Acc) ->
    request_options(Os, Reply, Tag, [O | Acc]);
request_options(_, _, _, _) ->
    throw(badopt).
