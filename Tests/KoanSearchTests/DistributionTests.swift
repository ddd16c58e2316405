import XCTest
@testable import KoanSearch

final class DistributionTests: XCTestCase {
    func testLogUniformRejectsNonPositiveLow() {
        XCTAssertThrowsError(try Distribution.logUniform(0, 1))
    }
}
