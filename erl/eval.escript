#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% The Erlang side of the interpreter's differential test:
%% `eval.escript Dir Module Function...` calls each Module:Function() (from
%% Dir) in a fresh process and prints one line per function:
%% "Function value ~w" or "Function exception Class:Reason" (both ~w), or
%% "Function timeout" when it has not finished after ten seconds, so that a
%% hang fails the test instead of stalling it.
-mode(compile).

main([Dir, Module | Functions]) ->
    ok = io:setopts([{encoding, unicode}]),
    true = code:add_patha(Dir),
    M = list_to_atom(Module),
    lists:foreach(fun(F) -> io:put_chars([F, " ", run(M, list_to_atom(F)), "\n"]) end, Functions).

run(M, F) ->
    Parent = self(),
    {Pid, Ref} = spawn_monitor(fun() ->
                                       R = try M:F() of
                                               V -> io_lib:format("value ~w", [V])
                                           catch
                                               C:E -> io_lib:format("exception ~w:~w", [C, E])
                                           end,
                                       Parent ! {self(), R}
                               end),
    receive
        {Pid, R} -> erlang:demonitor(Ref, [flush]), R
    after 10000 ->
            exit(Pid, kill),
            "timeout"
    end.
