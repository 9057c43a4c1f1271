// A sub-block of ivf_mix (ivf_mix.sv describes the datapath and its arithmetic).
// One lane: a signed 8x8 multiplier shared by the two formats, the E4M3 decoders,
// sign and exponent sum (neg, t and nan are 0 for INT8).
module ivf_mul_mix (
    input  logic        [7:0]  a,
    input  logic        [7:0]  b,
    input  logic               is_int,
    output logic               neg,
    output logic signed [15:0] prod,
    output logic        [4:0]  t,
    output logic               nan
);
  logic sa, sb, na, nb;
  /* verilator lint_off UNUSEDSIGNAL */
  logic ia, ib;  // E4M3 has no infinity
  /* verilator lint_on UNUSEDSIGNAL */
  logic [3:0] ga, gb, ka, kb;
  bp_elem_decode #(.W(8), .EXP_BITS(4), .MAN_BITS(3), .NAN_ENC(1))
      u_da (.code(a), .sign(sa), .sig(ga), .shift(ka), .nan(na), .inf(ia));
  bp_elem_decode #(.W(8), .EXP_BITS(4), .MAN_BITS(3), .NAN_ENC(1))
      u_db (.code(b), .sign(sb), .sig(gb), .shift(kb), .nan(nb), .inf(ib));
  logic signed [7:0] x, y;
  assign x = is_int ? a : {4'b0, ga};
  assign y = is_int ? b : {4'b0, gb};
  assign prod = x * y;
  assign neg = ~is_int & (sa ^ sb);
  assign t = is_int ? '0 : 5'(ka) + 5'(kb);
  assign nan = ~is_int & (na | nb);
endmodule
