%% A stand-in for fd ports, until the VM has ports of its own: the VM
%% links erlang:open_port/2 and the other port BIFs here while no native
%% implements them. A "port" is a process linked to its owner that writes
%% what it is sent ({Owner, {command, Data}}) to its file descriptor
%% (lam:port_write/2) and answers {Owner, close}. Only {fd, In, Out} is
%% stood in for (standard_error's {fd, 2, 2}); for any other port the
%% call fails as it did before (erts_internal:open_port/2 is undefined).
%% Compiled with erlc; src/vm/erl/lam_port_shim.beam is embedded in the VM.
-module(lam_port_shim).
-compile({no_auto_import, [open_port/2, port_command/2, port_command/3,
                           port_control/3, port_close/1]}).
-export([open_port/2, port_command/2, port_command/3, port_control/3,
         port_close/1, loop/2]).

open_port({fd, In, Out}, Opts) when is_integer(In), is_integer(Out), is_list(Opts) ->
    Owner = self(),
    Port = spawn_link(?MODULE, loop, [Owner, Out]),
    case In =:= 0 andalso lists:member(eof, Opts) of
        %% No reader: standard input is at its end at once.
        true -> Owner ! {Port, eof};
        false -> ok
    end,
    Port;
open_port(Name, Opts) ->
    erts_internal:open_port(Name, Opts).

port_command(Port, Data) ->
    Port ! {self(), {command, Data}},
    true.

port_command(Port, Data, _Opts) ->
    port_command(Port, Data).

%% No driver answers control requests (the window size: "no geometry").
port_control(_Port, _Op, _Data) ->
    erlang:error(badarg).

port_close(Port) ->
    Port ! {self(), close},
    true.

loop(Owner, Out) ->
    receive
        {_, {command, Data}} ->
            _ = lam:port_write(Out, Data),
            loop(Owner, Out);
        {From, close} ->
            From ! {self(), closed};
        _ ->
            loop(Owner, Out)
    end.
