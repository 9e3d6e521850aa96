#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% The Erlang side of the interpreter's differential test for sequential
%% code: `eval.escript Dir Module Function...` calls each Module:Function()
%% (from Dir) and prints one line per function: "Function value ~w" or
%% "Function exception Class:Reason" (both ~w).
-mode(compile).

main([Dir, Module | Functions]) ->
    ok = io:setopts([{encoding, unicode}]),
    true = code:add_patha(Dir),
    M = list_to_atom(Module),
    lists:foreach(
      fun(F) ->
              Fun = list_to_atom(F),
              try M:Fun() of
                  V -> io:format("~s value ~w~n", [F, V])
              catch
                  C:R -> io:format("~s exception ~w:~w~n", [F, C, R])
              end
      end, Functions).
