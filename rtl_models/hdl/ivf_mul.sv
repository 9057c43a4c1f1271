// A sub-block of ivf_dot (ivf_dot.sv describes the datapath and its arithmetic).
// One lane's multiplier: sign, product magnitude and (floats) exponent sum.
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
    output logic [2*SW-1:0] mag,
    output logic [XW:0]     t,
    output logic            nan
);
  logic sa, sb, na, nb;
  /* verilator lint_off UNUSEDSIGNAL */
  logic ia, ib;  // the formats used here have no infinity
  /* verilator lint_on UNUSEDSIGNAL */
  logic [SW-1:0] ga, gb;
  logic [XW-1:0] ka, kb;
  bp_elem_decode #(.W(W), .EXP_BITS(EXP_BITS), .MAN_BITS(MAN_BITS), .NAN_ENC(NAN_ENC),
                   .IS_INT(IS_INT)) u_da (
      .code(a), .sign(sa), .sig(ga), .shift(ka), .nan(na), .inf(ia));
  bp_elem_decode #(.W(W), .EXP_BITS(EXP_BITS), .MAN_BITS(MAN_BITS), .NAN_ENC(NAN_ENC),
                   .IS_INT(IS_INT)) u_db (
      .code(b), .sign(sb), .sig(gb), .shift(kb), .nan(nb), .inf(ib));
  assign neg = sa ^ sb;
  assign mag = (2*SW)'(ga) * (2*SW)'(gb);
  assign t = (IS_INT != 0) ? '0 : (XW+1)'(ka) + (XW+1)'(kb);
  assign nan = na | nb;
endmodule
