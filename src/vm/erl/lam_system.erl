%% Hooks of OTP's own system on LAM (src/vm/runtime/boot.rs). The VM boots
%% OTP's init lazily, with `-s lam_system started`: init runs started/0
%% once kernel and stdlib have started, and the processes that waited for
%% the system go on. init:fetch_loaded/0 (the code server asks it once, as
%% it starts) runs here: init's answer names the modules init loaded;
%% the modules the VM loaded itself from its code path are added, so that
%% the code server knows every loaded module and its file. stop/0 ends a
%% run whose first process has ended.
%% Compiled with erlc; src/vm/erl/lam_system.beam is embedded in the VM.
-module(lam_system).
-export([started/0, fetch_loaded/0, stop/0]).

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

fetch_loaded() ->
    init ! {self(), fetch_loaded},
    FromInit = receive {init, Loaded} -> Loaded end,
    Known = [M || {M, _} <- FromInit],
    Preloaded = erlang:pre_loaded(),
    FromInit ++ [{M, File} || {M, File} <- lam:loaded_files(),
                              not lists:member(M, Known),
                              not lists:member(M, Preloaded)].
