#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% Times Module:run() inside the VM (best of three, start-up excluded):
%% `bench_run.escript Dir Module...` prints "Module Microseconds Result".
-mode(compile).

main([Dir | Modules]) ->
    true = code:add_patha(Dir),
    lists:foreach(
      fun(M) ->
              Mod = list_to_atom(M),
              Runs = [timer:tc(Mod, run, []) || _ <- [1, 2, 3]],
              {Us, R} = lists:min(Runs),
              io:format("~s ~w ~w~n", [M, Us, R])
      end, Modules).
