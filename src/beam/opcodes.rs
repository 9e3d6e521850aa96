//! The generic BEAM instruction set: the one table every other part of the
//! crate (decoder, disassembler, translator, docs) reads from.
//!
//! Facts (number, name, arity) follow OTP's published generic opcode list;
//! the release column says when an opcode first appeared. A retired opcode
//! keeps its number forever: the compiler of OTP 22 or later never emits
//! one, so the reader rejects it with a clear error.

macro_rules! beam_ops {
    ($( $num:literal $variant:ident $name:literal / $arity:literal $since:literal $($retired:ident)? ;)*) => {
        /// A generic BEAM opcode.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Op {
            $(
                #[doc = concat!("`", $name, "/", stringify!($arity), "` (since ", $since, ")")]
                $variant = $num,
            )*
        }

        /// Every opcode, in number order.
        pub static OPS: &[OpInfo] = &[
            $( OpInfo { op: Op::$variant, name: $name, arity: $arity, since: $since, retired: beam_ops!(@retired $($retired)?) }, )*
        ];

        impl Op {
            /// The opcode with this number, if there is one.
            pub fn from_number(n: u8) -> Option<Op> {
                match n {
                    $( $num => Some(Op::$variant), )*
                    _ => None,
                }
            }
        }
    };
    (@retired retired) => { true };
    (@retired) => { false };
}

/// What the table knows about one opcode.
#[derive(Debug, Clone, Copy)]
pub struct OpInfo {
    /// The opcode.
    pub op: Op,
    /// Its name as OTP spells it.
    pub name: &'static str,
    /// How many operands it takes in the code stream.
    pub arity: u8,
    /// The release that introduced it.
    pub since: &'static str,
    /// Whether it was withdrawn before OTP 22 (no supported compiler emits it).
    pub retired: bool,
}

impl Op {
    /// The table entry of this opcode.
    pub fn info(self) -> &'static OpInfo {
        // OPS is dense from 1 and ordered by number.
        &OPS[self as usize - 1]
    }

    /// The opcode's name.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The number of operands.
    pub fn arity(self) -> usize {
        self.info().arity as usize
    }

    /// The opcode number.
    pub fn number(self) -> u8 {
        self as u8
    }
}

/// The highest opcode number this table knows.
pub fn max_opcode() -> u8 {
    OPS.len() as u8
}

beam_ops! {
    1 Label "label"/1 "R5";
    2 FuncInfo "func_info"/3 "R5";
    3 IntCodeEnd "int_code_end"/0 "R5";
    4 Call "call"/2 "R5";
    5 CallLast "call_last"/3 "R5";
    6 CallOnly "call_only"/2 "R5";
    7 CallExt "call_ext"/2 "R5";
    8 CallExtLast "call_ext_last"/3 "R5";
    9 Bif0 "bif0"/2 "R5";
    10 Bif1 "bif1"/4 "R5";
    11 Bif2 "bif2"/5 "R5";
    12 Allocate "allocate"/2 "R5";
    13 AllocateHeap "allocate_heap"/3 "R5";
    14 AllocateZero "allocate_zero"/2 "R5";
    15 AllocateHeapZero "allocate_heap_zero"/3 "R5";
    16 TestHeap "test_heap"/2 "R5";
    17 Init "init"/1 "R5";
    18 Deallocate "deallocate"/1 "R5";
    19 Return "return"/0 "R5";
    20 Send "send"/0 "R5";
    21 RemoveMessage "remove_message"/0 "R5";
    22 Timeout "timeout"/0 "R5";
    23 LoopRec "loop_rec"/2 "R5";
    24 LoopRecEnd "loop_rec_end"/1 "R5";
    25 Wait "wait"/1 "R5";
    26 WaitTimeout "wait_timeout"/2 "R5";
    27 MPlus "m_plus"/4 "R5" retired;
    28 MMinus "m_minus"/4 "R5" retired;
    29 MTimes "m_times"/4 "R5" retired;
    30 MDiv "m_div"/4 "R5" retired;
    31 IntDiv "int_div"/4 "R5" retired;
    32 IntRem "int_rem"/4 "R5" retired;
    33 IntBand "int_band"/4 "R5" retired;
    34 IntBor "int_bor"/4 "R5" retired;
    35 IntBxor "int_bxor"/4 "R5" retired;
    36 IntBsl "int_bsl"/4 "R5" retired;
    37 IntBsr "int_bsr"/4 "R5" retired;
    38 IntBnot "int_bnot"/3 "R5" retired;
    39 IsLt "is_lt"/3 "R5";
    40 IsGe "is_ge"/3 "R5";
    41 IsEq "is_eq"/3 "R5";
    42 IsNe "is_ne"/3 "R5";
    43 IsEqExact "is_eq_exact"/3 "R5";
    44 IsNeExact "is_ne_exact"/3 "R5";
    45 IsInteger "is_integer"/2 "R5";
    46 IsFloat "is_float"/2 "R5";
    47 IsNumber "is_number"/2 "R5";
    48 IsAtom "is_atom"/2 "R5";
    49 IsPid "is_pid"/2 "R5";
    50 IsReference "is_reference"/2 "R5";
    51 IsPort "is_port"/2 "R5";
    52 IsNil "is_nil"/2 "R5";
    53 IsBinary "is_binary"/2 "R5";
    54 IsConstant "is_constant"/2 "R5" retired;
    55 IsList "is_list"/2 "R5";
    56 IsNonemptyList "is_nonempty_list"/2 "R5";
    57 IsTuple "is_tuple"/2 "R5";
    58 TestArity "test_arity"/3 "R5";
    59 SelectVal "select_val"/3 "R5";
    60 SelectTupleArity "select_tuple_arity"/3 "R5";
    61 Jump "jump"/1 "R5";
    62 Catch "catch"/2 "R5";
    63 CatchEnd "catch_end"/1 "R5";
    64 Move "move"/2 "R5";
    65 GetList "get_list"/3 "R5";
    66 GetTupleElement "get_tuple_element"/3 "R5";
    67 SetTupleElement "set_tuple_element"/3 "R5";
    68 PutString "put_string"/3 "R5" retired;
    69 PutList "put_list"/3 "R5";
    70 PutTuple "put_tuple"/2 "R5";
    71 Put "put"/1 "R5";
    72 Badmatch "badmatch"/1 "R5";
    73 IfEnd "if_end"/0 "R5";
    74 CaseEnd "case_end"/1 "R5";
    75 CallFun "call_fun"/1 "R5";
    76 MakeFun "make_fun"/3 "R5" retired;
    77 IsFunction "is_function"/2 "R5";
    78 CallExtOnly "call_ext_only"/2 "R5";
    79 BsStartMatch "bs_start_match"/2 "R7" retired;
    80 BsGetInteger "bs_get_integer"/5 "R7" retired;
    81 BsGetFloat "bs_get_float"/5 "R7" retired;
    82 BsGetBinary "bs_get_binary"/5 "R7" retired;
    83 BsSkipBits "bs_skip_bits"/4 "R7" retired;
    84 BsTestTail "bs_test_tail"/2 "R7" retired;
    85 BsSave "bs_save"/1 "R7" retired;
    86 BsRestore "bs_restore"/1 "R7" retired;
    87 BsInit "bs_init"/2 "R7A" retired;
    88 BsFinal "bs_final"/2 "R7A" retired;
    89 BsPutInteger "bs_put_integer"/5 "R7A";
    90 BsPutBinary "bs_put_binary"/5 "R7A";
    91 BsPutFloat "bs_put_float"/5 "R7A";
    92 BsPutString "bs_put_string"/2 "R7A";
    93 BsNeedBuf "bs_need_buf"/1 "R7B" retired;
    94 Fclearerror "fclearerror"/0 "R8";
    95 Fcheckerror "fcheckerror"/1 "R8";
    96 Fmove "fmove"/2 "R8";
    97 Fconv "fconv"/2 "R8";
    98 Fadd "fadd"/4 "R8";
    99 Fsub "fsub"/4 "R8";
    100 Fmul "fmul"/4 "R8";
    101 Fdiv "fdiv"/4 "R8";
    102 Fnegate "fnegate"/3 "R8";
    103 MakeFun2 "make_fun2"/1 "R8";
    104 Try "try"/2 "R10B";
    105 TryEnd "try_end"/1 "R10B";
    106 TryCase "try_case"/1 "R10B";
    107 TryCaseEnd "try_case_end"/1 "R10B";
    108 Raise "raise"/2 "R10B";
    109 BsInit2 "bs_init2"/6 "R10B";
    110 BsBitsToBytes "bs_bits_to_bytes"/3 "R10B" retired;
    111 BsAdd "bs_add"/5 "R10B";
    112 Apply "apply"/1 "R10B";
    113 ApplyLast "apply_last"/2 "R10B";
    114 IsBoolean "is_boolean"/2 "R10B";
    115 IsFunction2 "is_function2"/3 "R10B-6";
    116 BsStartMatch2 "bs_start_match2"/5 "R11B";
    117 BsGetInteger2 "bs_get_integer2"/7 "R11B";
    118 BsGetFloat2 "bs_get_float2"/7 "R11B";
    119 BsGetBinary2 "bs_get_binary2"/7 "R11B";
    120 BsSkipBits2 "bs_skip_bits2"/5 "R11B";
    121 BsTestTail2 "bs_test_tail2"/3 "R11B";
    122 BsSave2 "bs_save2"/2 "R11B";
    123 BsRestore2 "bs_restore2"/2 "R11B";
    124 GcBif1 "gc_bif1"/5 "R11B";
    125 GcBif2 "gc_bif2"/6 "R11B";
    126 BsFinal2 "bs_final2"/2 "R11B" retired;
    127 BsBitsToBytes2 "bs_bits_to_bytes2"/2 "R11B" retired;
    128 PutLiteral "put_literal"/2 "R11B-4" retired;
    129 IsBitstr "is_bitstr"/2 "R11B-5";
    130 BsContextToBinary "bs_context_to_binary"/1 "R12B";
    131 BsTestUnit "bs_test_unit"/3 "R12B";
    132 BsMatchString "bs_match_string"/4 "R12B";
    133 BsInitWritable "bs_init_writable"/0 "R12B";
    134 BsAppend "bs_append"/8 "R12B";
    135 BsPrivateAppend "bs_private_append"/6 "R12B";
    136 Trim "trim"/2 "R12B";
    137 BsInitBits "bs_init_bits"/6 "R12B";
    138 BsGetUtf8 "bs_get_utf8"/5 "R12B-5";
    139 BsSkipUtf8 "bs_skip_utf8"/4 "R12B-5";
    140 BsGetUtf16 "bs_get_utf16"/5 "R12B-5";
    141 BsSkipUtf16 "bs_skip_utf16"/4 "R12B-5";
    142 BsGetUtf32 "bs_get_utf32"/5 "R12B-5";
    143 BsSkipUtf32 "bs_skip_utf32"/4 "R12B-5";
    144 BsUtf8Size "bs_utf8_size"/3 "R12B-5";
    145 BsPutUtf8 "bs_put_utf8"/3 "R12B-5";
    146 BsUtf16Size "bs_utf16_size"/3 "R12B-5";
    147 BsPutUtf16 "bs_put_utf16"/3 "R12B-5";
    148 BsPutUtf32 "bs_put_utf32"/3 "R12B-5";
    149 OnLoad "on_load"/0 "R13B03";
    150 RecvMark "recv_mark"/1 "R14A";
    151 RecvSet "recv_set"/1 "R14A";
    152 GcBif3 "gc_bif3"/7 "R14A";
    153 Line "line"/1 "R15A";
    154 PutMapAssoc "put_map_assoc"/5 "R17";
    155 PutMapExact "put_map_exact"/5 "R17";
    156 IsMap "is_map"/2 "R17";
    157 HasMapFields "has_map_fields"/3 "R17";
    158 GetMapElements "get_map_elements"/3 "R17";
    159 IsTaggedTuple "is_tagged_tuple"/4 "OTP 20";
    160 BuildStacktrace "build_stacktrace"/0 "OTP 21";
    161 RawRaise "raw_raise"/0 "OTP 21";
    162 GetHd "get_hd"/2 "OTP 21";
    163 GetTl "get_tl"/2 "OTP 21";
    164 PutTuple2 "put_tuple2"/2 "OTP 22";
    165 BsGetTail "bs_get_tail"/3 "OTP 22";
    166 BsStartMatch3 "bs_start_match3"/4 "OTP 22";
    167 BsGetPosition "bs_get_position"/3 "OTP 22";
    168 BsSetPosition "bs_set_position"/2 "OTP 22";
    169 Swap "swap"/2 "OTP 23";
    170 BsStartMatch4 "bs_start_match4"/4 "OTP 23";
    171 MakeFun3 "make_fun3"/3 "OTP 24";
    172 InitYregs "init_yregs"/1 "OTP 24";
    173 RecvMarkerBind "recv_marker_bind"/2 "OTP 24";
    174 RecvMarkerClear "recv_marker_clear"/1 "OTP 24";
    175 RecvMarkerReserve "recv_marker_reserve"/1 "OTP 24";
    176 RecvMarkerUse "recv_marker_use"/1 "OTP 24";
    177 BsCreateBin "bs_create_bin"/6 "OTP 25";
    178 CallFun2 "call_fun2"/3 "OTP 25";
    179 NifStart "nif_start"/0 "OTP 25";
    180 Badrecord "badrecord"/1 "OTP 25";
    181 UpdateRecord "update_record"/5 "OTP 26";
    182 BsMatch "bs_match"/3 "OTP 26";
    183 ExecutableLine "executable_line"/2 "OTP 27";
    184 DebugLine "debug_line"/4 "OTP 28";
}

/// The opcode table as a Markdown reference page (`docs/beam-ops.md` is
/// this text; a test keeps the two equal).
pub fn reference_markdown() -> String {
    let mut s = String::from(
        "# BEAM generic opcodes\n\n\
         Generated from `src/beam/opcodes.rs` (the single table the reader, the\n\
         disassembler and the translator use); a test fails when this page is out\n\
         of date. Refresh it with `BLESS=1 cargo test --test docs`.\n\n\
         Retired opcodes were withdrawn before OTP 22: no supported compiler emits\n\
         them, but their numbers stay reserved and the reader still decodes them.\n\n\
         | # | name | arity | since | status |\n|---:|---|---:|---|---|\n",
    );
    for o in OPS {
        s.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            o.op as u8,
            o.name,
            o.arity,
            o.since,
            if o.retired { "retired" } else { "" }
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_dense_and_ordered() {
        for (i, info) in OPS.iter().enumerate() {
            assert_eq!(info.op as usize, i + 1, "{}", info.name);
            assert_eq!(Op::from_number(i as u8 + 1), Some(info.op));
        }
        assert_eq!(Op::from_number(0), None);
        assert_eq!(Op::from_number(max_opcode() + 1), None);
        assert_eq!(Op::Move.name(), "move");
        assert_eq!(Op::BsCreateBin.arity(), 6);
    }
}
