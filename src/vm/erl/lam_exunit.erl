%% `lam-translate test` (src/main.rs): runs precompiled ExUnit test modules
%% with ExUnit's own runner and CLI formatter. Compiling a test module
%% registers it with ExUnit.Server (its __after_compile__ hook); a module
%% loaded from a .beam was compiled elsewhere, so it is registered here as
%% that hook would: async when its tests carry the async tag.
%% The arguments are "key=value" options (seed, max_cases, include,
%% exclude, only, trace) and then the test modules' names.
%% Compiled with erlc; src/vm/erl/lam_exunit.beam is embedded in the VM.
-module(lam_exunit).
-export([main/1]).

main(Args) ->
    {Opts, Mods} = parse(Args, [], [], []),
    %% As `elixir` and `mix test` start them: Elixir, then Logger (for
    %% capture_log and the tests' log output).
    {ok, _} = application:ensure_all_started(elixir),
    {ok, _} = application:ensure_all_started(logger),
    _ = 'Elixir.ExUnit':start([{autorun, false} | Opts]),
    lists:foreach(fun add/1, Mods),
    #{failures := Failures} = 'Elixir.ExUnit':run(),
    Status = case Failures of
                 0 -> 0;
                 _ -> proplists:get_value(exit_status, 'Elixir.ExUnit':configuration(), 2)
             end,
    erlang:halt(Status).

parse([], Opts, Filters, Mods) ->
    {lists:reverse(Opts) ++ filters(Filters), lists:reverse(Mods)};
parse([Arg | Rest], Opts, Filters, Mods) ->
    case string:split(Arg, "=") of
        ["seed", N] -> parse(Rest, [{seed, list_to_integer(N)} | Opts], Filters, Mods);
        ["max_cases", N] -> parse(Rest, [{max_cases, list_to_integer(N)} | Opts], Filters, Mods);
        ["trace", "true"] -> parse(Rest, [{trace, true} | Opts], Filters, Mods);
        [Kind, Tag] when Kind =:= "include"; Kind =:= "exclude"; Kind =:= "only" ->
            parse(Rest, Opts, [{list_to_atom(Kind), list_to_binary(Tag)} | Filters], Mods);
        ["module", M] -> parse(Rest, Opts, Filters, [list_to_atom(M) | Mods])
    end.

%% As mix test reads its flags: --only T includes T and excludes every
%% test not tagged with it.
filters(Filters) ->
    Of = fun(K) -> 'Elixir.ExUnit.Filters':parse([T || {K1, T} <- lists:reverse(Filters), K1 =:= K]) end,
    {Include, Exclude, Only} = {Of(include), Of(exclude), Of(only)},
    case Only of
        [] -> [{include, Include}, {exclude, Exclude}];
        _ -> [{include, Include ++ Only}, {exclude, [test | Exclude]}]
    end.

add(M) ->
    {module, M} = code:ensure_loaded(M),
    #{tests := Tests} = M:'__ex_unit__'(),
    Async = lists:any(fun(#{tags := Tags}) -> maps:get(async, Tags, false) =:= true end, Tests),
    case Async of
        true -> 'Elixir.ExUnit.Server':add_async_module(M);
        false -> 'Elixir.ExUnit.Server':add_sync_module(M)
    end.
