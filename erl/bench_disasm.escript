#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% Times beam_disasm:file/1 over the files given (inside the VM, so that
%% start-up is not counted). Prints "best_us Microseconds" for the best
%% of three rounds, then "files N".
-mode(compile).

main(Files) ->
    Round = fun() ->
                    {Us, _} = timer:tc(fun() -> [beam_disasm:file(F) || F <- Files] end),
                    Us
            end,
    Best = lists:min([Round() || _ <- [1, 2, 3]]),
    io:format("best_us ~w~nfiles ~w~n", [Best, length(Files)]).
