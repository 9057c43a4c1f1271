// Element decoder: code -> sign, integer significand and left shift, so that
//   |value| = sig << shift, times 2^-FRAC  with FRAC = BIAS - 1 + MAN_BITS (floats)
// (the fixed-point grid of the format's smallest subnormal).
// NAN_ENC: 0 none (fp6/fp4), 1 all-ones magnitude is NaN (e4m3fn), 2 IEEE inf/NaN.
// IS_INT: two's complement integer; sig = |code|, shift = 0.
// HAS_SIGN: 0 for a sign bit that is ignored (ue4m3 scale).
module bp_elem_decode #(
    parameter int W = 8,
    parameter int EXP_BITS = 4,
    parameter int MAN_BITS = 3,
    parameter int NAN_ENC = 1,
    parameter int IS_INT = 0,
    parameter int HAS_SIGN = 1,
    parameter int SW = (IS_INT != 0) ? W : MAN_BITS + 1,
    parameter int XW = (IS_INT != 0) ? 1 : EXP_BITS
) (
    input  logic [W-1:0]  code,
    output logic          sign,
    output logic [SW-1:0] sig,
    output logic [XW-1:0] shift,
    output logic          nan,
    output logic          inf
);
  generate
    if (IS_INT != 0) begin : g_int
      assign sign  = code[W-1];
      assign sig   = code[W-1] ? SW'(-code) : SW'(code);
      assign shift = '0;
      assign nan   = 1'b0;
      assign inf   = 1'b0;
    end else begin : g_float
      localparam int MAG = EXP_BITS + MAN_BITS;
      logic [EXP_BITS-1:0] e;
      logic [MAN_BITS-1:0] m;
      logic special;
      assign e = code[MAG-1:MAN_BITS];
      assign m = code[MAN_BITS-1:0];
      assign sign = (HAS_SIGN != 0) ? code[W-1] : 1'b0;
      if (NAN_ENC == 2) begin : g_ieee
        assign special = &e;
        assign nan = special & (|m);
        assign inf = special & ~(|m);
      end else if (NAN_ENC == 1) begin : g_ones
        assign special = &code[MAG-1:0];
        assign nan = special;
        assign inf = 1'b0;
      end else begin : g_none
        assign special = 1'b0;
        assign nan = 1'b0;
        assign inf = 1'b0;
      end
      // Specials decode as zero: the NaN/inf flags carry them.
      assign sig   = special ? '0 : {|e, m};
      assign shift = (special || e == '0) ? '0 : e - 1'b1;
    end
  endgenerate
endmodule
