// A sub-block of ivf_dot (ivf_dot.sv describes the datapath and its arithmetic).
// The block-scale dequantizer: SCALE=0 E8M0 (2^(x-127), 0xFF NaN): an exponent add;
// SCALE=1 UE4M3 (sign bit ignored, 0x7F magnitude NaN): significand multiply and exponent add.
module ivf_scale #(
    parameter int MW = 30,
    parameter int SCALE = 0,
    parameter int EW = 12
) (
    input  logic [MW-1:0]        mag,
    input  logic [7:0]           xa,
    input  logic [7:0]           xb,
    output logic [MW+7:0]        scaled,
    output logic signed [EW-1:0] sexp,
    output logic                 nan
);
  generate
    if (SCALE == 0) begin : g_e8m0
      assign scaled = (MW+8)'(mag);
      assign sexp = EW'({1'b0, xa}) + EW'({1'b0, xb}) - EW'(254);
      assign nan = (&xa) | (&xb);
    end else begin : g_ue4m3
      logic [3:0] ga, gb, ka, kb;
      /* verilator lint_off UNUSEDSIGNAL */
      logic ua, ub, ia, ib;
      /* verilator lint_on UNUSEDSIGNAL */
      logic na, nb;
      bp_elem_decode #(.W(8), .EXP_BITS(4), .MAN_BITS(3), .NAN_ENC(1), .HAS_SIGN(0)) u_sa (
          .code(xa), .sign(ua), .sig(ga), .shift(ka), .nan(na), .inf(ia));
      bp_elem_decode #(.W(8), .EXP_BITS(4), .MAN_BITS(3), .NAN_ENC(1), .HAS_SIGN(0)) u_sb (
          .code(xb), .sign(ub), .sig(gb), .shift(kb), .nan(nb), .inf(ib));
      assign scaled = (MW+8)'(mag) * (MW+8)'(ga * gb);
      assign sexp = EW'(ka) + EW'(kb) - EW'(18);
      assign nan = na | nb;
    end
  endgenerate
endmodule
