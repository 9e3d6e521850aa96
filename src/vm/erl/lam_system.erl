%% Hooks of OTP's own system on LAM (src/vm/runtime/boot.rs). The VM boots
%% OTP's init lazily, with `-s lam_system started`: init runs started/0
%% once kernel and stdlib have started, and the processes that waited for
%% the system go on. init:fetch_loaded/0 (the code server asks it once, as
%% it starts) runs here: init's answer names the modules init loaded;
%% the modules the VM loaded itself from its code path are added, so that
%% the code server knows every loaded module and its file.
%% Compiled with erlc; src/vm/erl/lam_system.beam is embedded in the VM.
-module(lam_system).
-export([started/0, fetch_loaded/0]).

started() ->
    lam:system_started().

fetch_loaded() ->
    init ! {self(), fetch_loaded},
    FromInit = receive {init, Loaded} -> Loaded end,
    Known = [M || {M, _} <- FromInit],
    Preloaded = erlang:pre_loaded(),
    FromInit ++ [{M, File} || {M, File} <- lam:loaded_files(),
                              not lists:member(M, Known),
                              not lists:member(M, Preloaded)].
