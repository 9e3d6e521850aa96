%% What logger's macros (?LOG_ERROR and the like, which supervisor,
%% gen_server, gen_statem and proc_lib report through) do on LAM, where no
%% kernel application starts a logger process or its tables: the event gets
%% the metadata logger adds, passes the filters of erl's default handler,
%% and is formatted by OTP's own logger_formatter as that handler formats
%% it, then written to standard output. The VM sends calls to
%% logger:macro_log/3,4,5 here; logger:allow/2 (the level check the macros
%% make first) runs as OTP's code.
-module(lam_logger).
-export([macro_log/3, macro_log/4, macro_log/5]).

%% A call site linked here before OTP's system booted goes to OTP's logger
%% once it runs (the VM links new call sites there directly).
macro_log(Location, Level, StringOrReport) ->
    case lam:system_up() of
        true -> logger:macro_log(Location, Level, StringOrReport);
        false -> log(Location, Level, StringOrReport, #{})
    end.

macro_log(Location, Level, A, B) ->
    case lam:system_up() of
        true -> logger:macro_log(Location, Level, A, B);
        false -> macro_log_here(Location, Level, A, B)
    end.

macro_log(Location, Level, FunOrFormat, Args, Meta) ->
    case lam:system_up() of
        true -> logger:macro_log(Location, Level, FunOrFormat, Args, Meta);
        false -> log(Location, Level, {FunOrFormat, Args}, Meta)
    end.

macro_log_here(Location, Level, StringOrReport, Meta)
  when is_map(Meta), not is_function(StringOrReport) ->
    log(Location, Level, StringOrReport, Meta);
macro_log_here(Location, Level, FunOrFormat, Args) ->
    log(Location, Level, {FunOrFormat, Args}, #{}).

log(Location, Level, {Fun, FunArgs}, Meta) when is_function(Fun, 1) ->
    case Fun(FunArgs) of
        ignore -> ok;
        {Msg, #{} = FunMeta} -> log(Location, Level, Msg, maps:merge(Meta, FunMeta));
        Msg -> log(Location, Level, Msg, Meta)
    end;
log(Location, Level, Msg, CallMeta) ->
    Default = #{pid => self(), gl => group_leader(), time => os:system_time(microsecond)},
    Meta = maps:merge(Location, maps:merge(Default, CallMeta)),
    Event = #{level => Level, msg => msg(Msg), meta => Meta},
    case default_handler_filters(Event) of
        stop -> ok;
        Passed ->
            %% The time offset and depth the formatter would read from
            %% the application environment, which is empty before the
            %% system boots (reading it would boot it).
            Config = #{legacy_header => true, single_line => false,
                       time_offset => "", depth => unlimited},
            io:put_chars(user, logger_formatter:format(Passed, Config))
    end.

msg({Format, Args}) when is_list(Args) -> {Format, Args};
msg(Report) when is_map(Report); is_list(Report), is_tuple(hd(Report)) -> {report, Report};
msg(String) -> {string, String}.

%% erl's default handler: events from remote group leaders stop; events
%% in the otp or otp/sasl domains, or in no domain, pass; the rest stop.
default_handler_filters(Event) ->
    Filters = [{fun logger_filters:remote_gl/2, stop},
               {fun logger_filters:domain/2, {log, super, [otp, sasl]}},
               {fun logger_filters:domain/2, {log, undefined, []}}],
    filter(Filters, Event).

filter([], _Event) ->
    stop;
filter([{F, Arg} | Rest], Event) ->
    case F(Event, Arg) of
        ignore -> filter(Rest, Event);
        Result -> Result
    end.
