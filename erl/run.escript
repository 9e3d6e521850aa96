#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% The Erlang side of the interpreter's output test: `run.escript Dir Module
%% [Function]` runs Module:main() (or Module:Function()) as the first call
%% of a new process (so stack traces hold only the program's own frames, as
%% on LAM), lets its output go to
%% standard output, and exits 0 when it returns normally, 1 when it crashes
%% (printing "exit Reason" to standard error, after the error report the
%% crash makes erl print), 2 after ten seconds.
-mode(compile).

main([Dir, Module]) ->
    main([Dir, Module, "main"]);
main([Dir, Module, Function]) ->
    true = code:add_patha(Dir),
    {_Pid, Ref} = spawn_monitor(list_to_atom(Module), list_to_atom(Function), []),
    receive
        {'DOWN', Ref, process, _, normal} ->
            flush_logger(),
            halt(0);
        {'DOWN', Ref, process, _, Reason} ->
            %% The emulator's error report for the crash goes through the
            %% logger, asynchronously: let it reach standard output.
            flush_logger(),
            io:format(standard_error, "exit ~w~n", [Reason]),
            halt(1)
    after 10000 ->
            halt(2)
    end.

%% Error reports of crashed processes go through the logger, asynchronously:
%% let them reach standard output before halting (LAM prints them before it
%% stops too).
flush_logger() ->
    timer:sleep(20),
    %% The emulator hands the report to logger_proxy, which passes it on to
    %% the handler: a call to the proxy returns after it has done so for
    %% what it held (on a loaded machine 20 ms were not always enough).
    _ = catch sys:get_state(logger_proxy, 5000),
    _ = logger_std_h:filesync(default),
    ok.
