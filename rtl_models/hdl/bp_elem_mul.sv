// Exact element product as a signed fixed-point integer (one module for every MX pair).
//   value(a) * value(b) = prod * 2^-(FRAC_A + FRAC_B)
// FRAC = BIAS - 1 + MAN_BITS for floats, the format's fraction bits for integers.
// neg = sign(a) xor sign(b) (kept for zero and infinite products); nan: NaN operand or
// inf * 0; inf: infinite product (prod is 0 for both flags).
module bp_elem_mul #(
    parameter int WA = 8, EA = 4, MA = 3, NA = 1, IA = 0,
    parameter int WB = 8, EB = 4, MB = 3, NB = 1, IB = 0,
    parameter int SWA = (IA != 0) ? WA : MA + 1,
    parameter int SWB = (IB != 0) ? WB : MB + 1,
    parameter int XWA = (IA != 0) ? 1 : EA,
    parameter int XWB = (IB != 0) ? 1 : EB,
    // magnitude bits of one element on its fixed-point grid
    parameter int FWA = (IA != 0) ? WA : MA + 1 + (1 << EA) - 2,
    parameter int FWB = (IB != 0) ? WB : MB + 1 + (1 << EB) - 2,
    parameter int PW = FWA + FWB + 1
) (
    input  logic [WA-1:0]        a,
    input  logic [WB-1:0]        b,
    output logic signed [PW-1:0] prod,
    output logic                 neg,
    output logic                 nan,
    output logic                 inf
);
  logic sa, sb, na, nb, ia, ib;
  logic [SWA-1:0] ga;
  logic [SWB-1:0] gb;
  logic [XWA-1:0] xa;
  logic [XWB-1:0] xb;
  logic [PW-2:0] mag;

  bp_elem_decode #(.W(WA), .EXP_BITS(EA), .MAN_BITS(MA), .NAN_ENC(NA), .IS_INT(IA)) u_a (
      .code(a), .sign(sa), .sig(ga), .shift(xa), .nan(na), .inf(ia));
  bp_elem_decode #(.W(WB), .EXP_BITS(EB), .MAN_BITS(MB), .NAN_ENC(NB), .IS_INT(IB)) u_b (
      .code(b), .sign(sb), .sig(gb), .shift(xb), .nan(nb), .inf(ib));

  logic zero_a, zero_b;
  assign zero_a = ~|ga & ~ia;
  assign zero_b = ~|gb & ~ib;
  assign mag  = ((PW-1)'(ga) * (PW-1)'(gb)) << ((PW-1)'(xa) + (PW-1)'(xb));
  assign neg  = sa ^ sb;
  assign nan  = na | nb | (ia & zero_b) | (ib & zero_a);
  assign inf  = (ia | ib) & ~nan;
  assign prod = neg ? -$signed({1'b0, mag}) : $signed({1'b0, mag});
endmodule
