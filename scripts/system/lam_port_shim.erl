-module(lam_port_shim).
-export([open_port/2, port_command/2, port_control/3, port_close/1, loop/1]).
open_port(Name, _Opts) ->
    Owner = self(),
    spawn_link(?MODULE, loop, [{Owner, Name}]).
port_command(P, Data) -> P ! {self(), {command, Data}}, true.
port_control(_, _, _) -> erlang:error(badarg).
port_close(P) -> P ! {self(), close}, true.
loop({Owner, Name} = S) ->
    receive
        {_, {command, Data}} -> lam:put_chars(latin1, Data), loop(S);
        {From, close} -> From ! {self(), closed};
        _ -> loop(S)
    after 0 ->
        case Name of {fd, 0, _} -> Owner ! {self(), eof}; _ -> ok end,
        receive
            {_, {command, Data}} -> lam:put_chars(latin1, Data), loop2(S);
            {From, close} -> From ! {self(), closed};
            _ -> loop2(S)
        end
    end.
loop2(S) -> receive {_, {command, Data}} -> lam:put_chars(latin1, Data), loop2(S); {From, close} -> From ! {self(), closed}; _ -> loop2(S) end.
