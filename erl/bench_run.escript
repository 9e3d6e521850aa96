#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% Times Module:run() inside the VM with bench_tc:best/1 (best of five,
%% start-up excluded), as LAM is timed: `bench_run.escript Dir Module...`
%% prints "Module Microseconds Result".
%% bench_parallel and the other *_parallel programs are timed on one
%% scheduler and on two ("bench_parallel@1", "bench_parallel@2"), the others
%% on all the machine's schedulers.
-mode(compile).

main([Dir | Modules]) ->
    true = code:add_patha(Dir),
    All = erlang:system_info(schedulers),
    lists:foreach(
      fun(M) ->
              case lists:suffix("_parallel", M) of
                  true ->
                      [time(M, M ++ "@" ++ integer_to_list(S), S) || S <- [1, 2]],
                      erlang:system_flag(schedulers_online, All);
                  false ->
                      time(M, M, All)
              end
      end, Modules).

time(M, Label, Schedulers) ->
    erlang:system_flag(schedulers_online, Schedulers),
    {Us, R} = bench_tc:best(list_to_atom(M)),
    io:format("~s ~w ~w~n", [Label, Us, R]).
