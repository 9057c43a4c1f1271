// Testbench wrapper of bp_pim_mac for unit pim_mac: COPIES lanes side by side, as in a
// GEMM module, each with its own dot product of K pairs (field layout as
// rtl_models/models/pim_mac.py). A beat clears every lane, which then takes one pair a
// cycle; in_ready stays low until one out_valid beat has carried every lane's FP32 sum.
module tb_pim_mac #(
    parameter int COPIES = 4,
    parameter int K = 8
) (
    input  logic                        clk,
    input  logic                        in_valid,
    output logic                        in_ready,
    input  logic [COPIES*(1+32*K)-1:0] in_data,
    output logic                        out_valid,
    output logic [COPIES*32-1:0]        out_data
);
  // per lane (1 + 32*K bits): fmt [0], a [16*K:1] (K x 16), b [32*K:16*K+1] (K x 16)
  localparam int LW = 1 + 32 * K;
  localparam int SB = $clog2(K + 1);
  // Power-on values of the testbench's own registers (the ports have no reset).
  /* verilator lint_off PROCASSINIT */
  logic busy = 1'b0;
  logic [1:0] power_on = 2'b11;
  /* verilator lint_on PROCASSINIT */
  logic [COPIES*LW-1:0] q;
  logic [SB-1:0] step;
  logic [COPIES*32-1:0] sums;
  wire start = in_valid && in_ready;
  assign in_ready = !busy && !power_on[0];

  for (genvar c = 0; c < COPIES; c++) begin : g_lane
    logic [LW-1:0] v;
    assign v = q[c*LW +: LW];
    bp_pim_mac u_lane (
        .clk(clk), .clear(start), .en(busy && int'(step) < K), .fmt(v[0]),
        .a(v[1 + int'(step) * 16 +: 16]), .b(v[1 + 16 * K + int'(step) * 16 +: 16]),
        .acc(sums[c*32 +: 32]));
  end

  always_ff @(posedge clk) begin
    power_on <= power_on >> 1;
    out_valid <= 1'b0;
    if (start) begin
      q <= in_data;
      step <= '0;
      busy <= 1'b1;
    end else if (busy) begin
      if (int'(step) < K) step <= step + SB'(1);
      else begin
        busy <= 1'b0;
        out_valid <= 1'b1;
        out_data <= sums;
      end
    end
  end
endmodule
