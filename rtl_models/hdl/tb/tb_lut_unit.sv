// Testbench wrapper of bp_lut_unit for unit lut_unit (P = 4, A = 64, WC = 16, N = 4,
// EB = 8; layout as rtl_models/models/lut_unit.py). in_data[0] is the op:
//   0 write:  bank [2:1], row [8:3], row data [136:9] (entry w at 9 + 8w)
//   1 lookup: a_idx [24:1] (bank p at 1 + 6p), w_idx [88:25] (bank p, output n at 25 + 4(4p+n))
// A lookup gives one out_valid word, output n at out_data[10n +: 10]; a write gives none.
// Inputs registered (latency 2).
module tb_lut_unit (
    input  logic         clk,
    input  logic         in_valid,
    output logic         in_ready,
    input  logic [136:0] in_data,
    output logic         out_valid,
    output logic [39:0]  out_data
);
  logic [136:0] q;
  logic v;
  assign in_ready = 1'b1;
  always_ff @(posedge clk) begin
    v <= in_valid;
    q <= in_data;
  end
  bp_lut_unit u_lut (
      .clk(clk), .we(v && !q[0]), .wbank(q[2:1]), .wrow(q[8:3]), .wdata(q[136:9]),
      .lookup(v && q[0]), .a_idx(q[24:1]), .w_idx(q[88:25]), .out_valid(out_valid),
      .out(out_data));
endmodule
