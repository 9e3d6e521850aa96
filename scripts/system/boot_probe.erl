-module(boot_probe).
-export([main/0, fake_init/0, fake_loader/0]).
fake_loader() ->
    receive
        {From, Req} ->
            R = case Req of
                    {get_path, _} -> {ok, []}; {list_dir, _} -> {ok, []};
                    _ -> io:format("loader: ~p~n", [Req]), error
                end,
            From ! {self(), R}
    end,
    fake_loader().
-include("apps.hrl").
now_us() -> erlang:monotonic_time(microsecond).
fake_init() ->
    receive
        {From, Req} when is_pid(From) ->
            R = case Req of
                    get_arguments -> [{noshell, []}];
                    {get_argument, root} -> {ok, [["/usr/lib/erlang"]]};
                    {get_argument, progname} -> {ok, [["erl"]]};
                    {get_argument, home} -> {ok, [[os:getenv("HOME")]]};
                    {get_argument, mode} -> {ok, [["minimal"]]};
                    fetch_loaded -> [];
                    {get_argument, A} -> io:format("init: get_argument ~p~n", [A]), error;
                    get_plain_arguments -> [];
                    {ensure_loaded, M} -> code:ensure_loaded(M);
                    _ -> io:format("init: unknown request ~p~n", [Req]), error
                end,
            From ! {init, R};
        Other -> io:format("init: got ~p~n", [Other])
    end,
    fake_init().
step(Name, F) ->
    T0 = now_us(),
    R = (catch F()),
    io:format("~s: ~P (~p us)~n", [Name, R, 20, now_us() - T0]),
    R.
main() ->
    T0 = now_us(),
    unregister(user),
    register(init, spawn(?MODULE, fake_init, [])),
    register(erl_prim_loader, spawn(?MODULE, fake_loader, [])),
    step("logger_server", fun() -> logger_server:start_link() end),
    step("ac", fun() -> application_controller:start(?KERNEL) end),
    step("load stdlib", fun() -> application:load(?STDLIB) end),
    step("kernel", fun() -> application:start_boot(kernel, permanent) end),
    step("stdlib", fun() -> application:start_boot(stdlib, permanent) end),
    io:format("total ~p us~n", [now_us() - T0]),
    io:format("which: ~p~n", [catch application:which_applications()]),
    group_leader(whereis(user), self()),
    step("get_env", fun() -> application:get_all_env(kernel) end),
    step("set_env", fun() -> application:set_env(kernel, foo, 1), application:get_env(kernel, foo) end),
    step("send_interval", fun() -> {ok, _} = timer:send_interval(5, tick), receive tick -> receive tick -> ticks end end end),
    step("whereis timer_server", fun() -> whereis(timer_server) end),
    step("ensure_loaded", fun() -> code:ensure_loaded(lists) end),
    step("is_loaded", fun() -> code:is_loaded(lists) end),
    step("which", fun() -> code:which(lists) end),
    step("stderr", fun() -> io:format(standard_error, "to stderr~n", []) end),
    step("logger:error", fun() -> logger:error("logged ~p", [42]) end),
    step("group_leader", fun() -> {group_leader(), whereis(user)} end),
    step("get_line", fun() -> io:get_line("prompt> ") end),
    step("signal", fun() -> os:set_signal(sighup, handle) end),
    step("ensure_all_started", fun() -> application:ensure_all_started(sasl) end),
    io:format("registered: ~p~n", [lists:sort(registered())]),
    io:format("procs: ~p loaded: ~p~n", [length(processes()), length(erlang:loaded())]), io:format("LOADED ~w~n", [erlang:loaded()]).
