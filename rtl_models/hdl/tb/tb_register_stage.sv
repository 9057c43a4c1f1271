// The register stage the one-beat-a-cycle wrappers share: in_data/in_valid registered
// into q (valid v), the unit's combinational result r registered out (latency 2).
module tb_register_stage #(
    parameter int IW = 1,
    parameter int OW = 1
) (
    input  logic          clk,
    input  logic          in_valid,
    input  logic [IW-1:0] in_data,
    output logic [IW-1:0] q,
    input  logic [OW-1:0] r,
    output logic          out_valid,
    output logic [OW-1:0] out_data
);
  logic v;
  always_ff @(posedge clk) begin
    v <= in_valid;
    q <= in_data;
    out_valid <= v;
    out_data <= r;
  end
endmodule
