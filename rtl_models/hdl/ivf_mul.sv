// A sub-block of ivf_dot (ivf_dot.sv describes the datapath and its arithmetic).
// One lane's multiplier. Floats: sign, product of the significands (magnitude) and the
// exponent sum. Integers: the two's complement product of the codes (a signed multiplier,
// no sign-magnitude detour); neg, t and nan are 0.
module ivf_mul #(
    parameter int W = 8,
    parameter int EXP_BITS = 4,
    parameter int MAN_BITS = 3,
    parameter int NAN_ENC = 1,
    parameter int IS_INT = 0,
    parameter int SW = (IS_INT != 0) ? W : MAN_BITS + 1,
    parameter int XW = (IS_INT != 0) ? 1 : EXP_BITS
) (
    input  logic [W-1:0]    a,
    input  logic [W-1:0]    b,
    output logic            neg,
    output logic [2*SW-1:0] prod,
    output logic [XW:0]     t,
    output logic            nan
);
  generate
    if (IS_INT != 0) begin : g_int
      assign prod = $signed(a) * $signed(b);
      assign neg = 1'b0;
      assign t = '0;
      assign nan = 1'b0;
    end else begin : g_float
      logic sa, sb, na, nb;
      /* verilator lint_off UNUSEDSIGNAL */
      logic ia, ib;  // the float formats used here have no infinity
      /* verilator lint_on UNUSEDSIGNAL */
      logic [SW-1:0] ga, gb;
      logic [XW-1:0] ka, kb;
      bp_elem_decode #(.W(W), .EXP_BITS(EXP_BITS), .MAN_BITS(MAN_BITS), .NAN_ENC(NAN_ENC))
          u_da (.code(a), .sign(sa), .sig(ga), .shift(ka), .nan(na), .inf(ia));
      bp_elem_decode #(.W(W), .EXP_BITS(EXP_BITS), .MAN_BITS(MAN_BITS), .NAN_ENC(NAN_ENC))
          u_db (.code(b), .sign(sb), .sig(gb), .shift(kb), .nan(nb), .inf(ib));
      assign neg = sa ^ sb;
      assign prod = (2*SW)'(ga) * (2*SW)'(gb);
      assign t = (XW+1)'(ka) + (XW+1)'(kb);
      assign nan = na | nb;
    end
  endgenerate
endmodule
